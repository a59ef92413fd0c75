// The names the derive suggests for keywords (`type_`, `match_`) compile
// without a warning, although the generated methods then contain `__`
// (`prefetch_match__with`).
#![deny(warnings)]

use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { players (id) { id -> Integer, } }
diesel::table! { kinds (id) { id -> Integer, } }
diesel::table! { matches (id) { id -> Integer, player_id -> Integer, type_id -> Integer, } }

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = players)]
pub struct Player {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = kinds)]
pub struct Kind {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = matches)]
pub struct Match {
    pub id: i32,
    // Without `related_name`, the relation would be `match`.
    #[foreign_key(references = Player, one_to_one, related_name = "match_")]
    pub player_id: i32,
    // Without `forward_name`, the relation would be `type`.
    #[foreign_key(references = Kind, related_name = "matches", forward_name = "type_")]
    pub type_id: i32,
}

fn load(conn: &mut SqliteConnection, players: Vec<Player>) -> QueryResult<()> {
    let players = players.prefetch_match__with(conn, |p| p.filter(matches::id.gt(0)))?;
    let _: &Option<Match> = players[0].match_();
    let matches = matches::table.select(Match::as_select()).load(conn)?;
    let matches = matches.prefetch_type_(conn)?;
    let _: &Kind = matches[0].type_();
    Ok(())
}

fn main() {}
