//! HTTP tests of kvalreg-web: the real router on a real port against a real database.

mod audit_reads;
mod authorization;
mod documents;
mod flow;
mod indicators;
mod listing;
mod masking;
mod openapi;
mod pages;
mod patient;
mod quality;
mod refusals;
mod registrar;
mod research;
mod server;
mod signin;
mod validation;
mod workflow;
