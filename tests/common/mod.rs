pub mod backends;
pub mod check_driver;
pub mod daemon;
pub mod fifo;
pub mod netns;
pub mod rpcd;
pub mod strict;
pub mod tempdir;
