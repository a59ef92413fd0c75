// A shape with refined fields, included into each backend's module of the
// shape suite and the async suite (which provide `Conn`).

// Refinement functions are written for the shape's backend, as a
// `prefetch_*_with` closure is: generic over the mode (blocking or async).
type Backend = <Conn as diesel::Connection>::Backend;

fn newest_two<M: diesel_relations::Mode<Backend = Backend>>(
    p: diesel_relations::Prefetch<AuthorBooks, M>,
) -> diesel_relations::Prefetch<AuthorBooks, M> {
    p.order(books::title.desc()).limit_per_parent(2)
}

fn titled_with_an_e<M: diesel_relations::Mode<Backend = Backend>>(
    p: diesel_relations::Prefetch<AuthorBooks, M>,
) -> diesel_relations::Prefetch<AuthorBooks, M> {
    p.filter(books::title.like("%e%"))
}

fn long_bio<M: diesel_relations::Mode<Backend = Backend>>(
    p: diesel_relations::Prefetch<AuthorProfile, M>,
) -> diesel_relations::Prefetch<AuthorProfile, M> {
    p.filter(profiles::bio.like("%a%").or(profiles::bio.like("%1%")))
}

fn favorites_with_an_i<M: diesel_relations::Mode<Backend = Backend>>(
    p: diesel_relations::PrefetchThrough<AuthorFavoriteBooks, M>,
) -> diesel_relations::PrefetchThrough<AuthorFavoriteBooks, M> {
    p.filter(books::title.like("%i%"))
}

/// One relation three times (refined twice, nested once), a refined
/// one-to-one and a refined many-to-many: Django's `Prefetch(.., to_attr=..)`.
#[derive(diesel_relations::Shape, Debug, Clone, PartialEq)]
#[shape(model = Author, backend = Backend)]
pub struct AuthorHighlights {
    pub author: Author,
    #[shape(relation = "books", with = newest_two)]
    pub newest: Vec<crate::cards::BookWithReviews>,
    #[shape(relation = "books", with = titled_with_an_e)]
    pub with_an_e: Vec<Book>,
    pub books: Vec<Book>,
    #[shape(with = long_bio)]
    pub profile: Option<Profile>,
    #[shape(relation = "favorite_books", with = favorites_with_an_i)]
    pub favorites: Vec<Book>,
}
