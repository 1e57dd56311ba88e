pub mod backends;
pub mod daemon;
pub mod netns;
pub mod tempdir;
