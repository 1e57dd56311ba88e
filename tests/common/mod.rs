pub mod backends;
pub mod daemon;
pub mod fifo;
pub mod netns;
pub mod rpcd;
pub mod strict;
pub mod tempdir;
