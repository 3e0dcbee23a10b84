//! The messages the wordpress container logs at the steps of its life that the tests look
//! for: one definition, so that a reworded message changes the service and its tests
//! together.

/// An interrupted install was found (its marker); it is redone.
pub const INSTALL_REDONE: &str = "redoing an interrupted install";
/// WordPress's files are being copied into the volume.
pub const COPYING_WORDPRESS: &str = "copying WordPress";
/// The volume's WordPress is being upgraded to the image's.
pub const UPGRADING_WORDPRESS: &str = "upgrading WordPress";
