use relations_runtime::Relations;

#[derive(Relations)]
pub struct Author(pub i32);

fn main() {}
