// `references = Self` on a self-referential key: the same as naming the struct.
// Both directions load, two levels down.
use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { categories (id) { id -> Integer, parent_id -> Nullable<Integer>, } }

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: i32,
    #[foreign_key(references = Self, related_name = "children")]
    pub parent_id: Option<i32>,
}

fn load(conn: &mut SqliteConnection, roots: Vec<Category>) -> QueryResult<()> {
    let roots = roots.prefetch_children(conn)?;
    let _: &Vec<Category> = roots[0].children();
    let leaves = roots[0].children().clone().prefetch_parent(conn)?;
    let _: &Option<Category> = leaves[0].parent();
    // The relation keys are named after the struct, as with `references = Category`.
    let _: Vec<With<Category, CategoryChildren>> = roots;
    let _: Vec<With<Category, CategoryParent>> = leaves;
    Ok(())
}

fn main() {}
