// A text primary key named with `primary_key(...)`, a foreign-key field whose
// column has another name, and the result types written out in signatures.
use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { countries (code) { code -> Text, } }
diesel::table! { cities (id) { id -> Integer, country_code -> Text, } }

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = countries, primary_key(code))]
pub struct Country {
    pub code: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = cities)]
pub struct City {
    pub id: i32,
    #[diesel(column_name = country_code)]
    #[foreign_key(references = Country, related_name = "cities")]
    pub country: String,
}

fn with_cities(
    conn: &mut SqliteConnection,
    countries: Vec<Country>,
) -> diesel_relations::Result<Vec<With<Country, CountryCities>>> {
    countries.prefetch_cities(conn)
}

fn with_both(
    conn: &mut SqliteConnection,
    cities: Vec<City>,
) -> diesel_relations::Result<Vec<With<With<City, CityCountry>, CityCountry>>> {
    // The same relation twice is allowed; each layer holds its own copy.
    cities.prefetch_country(conn)?.prefetch_country(conn)
}

fn main() {}
