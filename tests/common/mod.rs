pub mod backends;
pub mod netns;
