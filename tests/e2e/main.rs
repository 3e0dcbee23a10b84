//! End-to-end suite: real images, real containers, real services. Run by `make test` after
//! `make build`; every test owns its containers, networks and data and removes them.

mod bonus;
mod browser;
mod by_hand;
mod galera;
mod mail;
mod mariadb;
mod monitoring;
mod pid1;
mod reliability;
mod stack;
mod upgrade;
mod wordpress;
mod wp;
