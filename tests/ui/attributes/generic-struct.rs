use diesel_relations::Relations;

#[derive(Relations)]
pub struct Author<T> {
    pub id: i32,
    pub extra: T,
}

fn main() {}
