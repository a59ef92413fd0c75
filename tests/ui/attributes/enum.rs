use relations_runtime::Relations;

#[derive(Relations)]
pub enum Author {
    Anonymous,
}

fn main() {}
