// Package kura holds Kura's domain types: buckets, object versions,
// multipart uploads and the configuration and state attached to them
// (encryption, Object Lock, ACLs, tags, lifecycle and CORS rules), named as
// S3 names them.
//
// The types describe; they do not store or travel. kura does no I/O and
// imports nothing from internal/: how a value is kept on disk is
// internal/meta's record codec, how it crosses the wire is internal/s3api's
// XML, so neither encoding leaks into the other and either can change on
// its own. The types therefore carry no json or xml struct tags.
package kura
