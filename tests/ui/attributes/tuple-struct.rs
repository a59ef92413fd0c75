use diesel_relations::Relations;

#[derive(Relations)]
pub struct Author(pub i32);

fn main() {}
