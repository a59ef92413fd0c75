// Key columns named after keywords: a raw-identifier field (`r#type`) on the
// column `type`, and fields mapped with Diesel's `column_name`, in the string
// form (`"type"`, `"type_id"`) and the identifier form (`r#type`, `r#type_id`).
use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { kinds (id) { id -> Integer, } }
diesel::table! { items (id) { id -> Integer, r#type -> Integer, type_id -> Nullable<Integer>, } }
diesel::allow_tables_to_appear_in_same_query!(kinds, items);

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = kinds)]
pub struct Kind {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = items)]
pub struct Item {
    pub id: i32,
    #[foreign_key(references = Kind, related_name = "items", forward_name = "kind")]
    pub r#type: i32,
    #[diesel(column_name = "type_id")]
    #[foreign_key(references = Kind, related_name = "secondary_items")]
    pub secondary_kind: Option<i32>,
}

// Another model of the same table.
#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = items)]
pub struct ItemRow {
    pub id: i32,
    #[diesel(column_name = "type")]
    #[foreign_key(references = Kind, related_name = "item_rows")]
    pub kind_id: i32,
    #[diesel(column_name = r#type_id)]
    #[foreign_key(references = Kind, related_name = "secondary_item_rows")]
    pub other_kind_id: Option<i32>,
}

// The identifier form of a keyword column.
#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = items)]
pub struct ItemKey {
    pub id: i32,
    #[diesel(column_name = r#type)]
    #[foreign_key(references = Kind, related_name = "item_keys")]
    pub kind: i32,
}

fn load(conn: &mut SqliteConnection, kinds: Vec<Kind>) -> QueryResult<()> {
    let kinds = kinds
        .prefetch_items(conn)?
        .prefetch_secondary_items(conn)?
        .prefetch_item_rows(conn)?
        .prefetch_secondary_item_rows(conn)?
        .prefetch_item_keys(conn)?;
    let _: &Vec<Item> = kinds[0].items();
    let _: &Vec<Item> = kinds[0].secondary_items();
    let _: &Vec<ItemRow> = kinds[0].item_rows();
    let _: &Vec<ItemRow> = kinds[0].secondary_item_rows();
    let _: &Vec<ItemKey> = kinds[0].item_keys();

    let items = kinds[0]
        .items()
        .clone()
        .prefetch_kind(conn)?
        .prefetch_secondary_kind(conn)?;
    let _: &Kind = items[0].kind();
    let _: &Option<Kind> = items[0].secondary_kind();
    let _: i32 = items[0].r#type;

    let rows = kinds[0]
        .item_rows()
        .clone()
        .prefetch_kind(conn)?
        .prefetch_other_kind(conn)?;
    let _: &Kind = rows[0].kind();
    let _: &Option<Kind> = rows[0].other_kind();
    let keys = kinds[0].item_keys().clone().prefetch_kind(conn)?;
    let _: &Kind = keys[0].kind();

    // The belongs-to relations also join (`INNER`/`LEFT JOIN kinds`).
    let _: Vec<With<Item, ItemKind>> = select_related(ItemKind).load(conn)?;
    let _: Vec<With<ItemRow, ItemRowOtherKind>> = select_related(ItemRowOtherKind).load(conn)?;
    Ok(())
}

fn main() {}
