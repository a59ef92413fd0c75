use diesel_relations::Relations;

#[derive(Relations)]
pub enum Author {
    Anonymous,
}

fn main() {}
