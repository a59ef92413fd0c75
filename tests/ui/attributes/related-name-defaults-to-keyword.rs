// A one-to-one key names the parent's relation after the child: the child
// `Match` would give every `Player` a relation named `match`, a keyword.
use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { players (id) { id -> Integer, } }
diesel::table! { matches (id) { id -> Integer, player_id -> Integer, } }

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = players)]
pub struct Player {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = matches)]
pub struct Match {
    pub id: i32,
    #[foreign_key(references = Player, one_to_one)]
    pub player_id: i32,
}

fn main() {}
