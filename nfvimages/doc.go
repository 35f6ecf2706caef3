// Package nfvimages holds the conventions an Open Baton Docker NFV image
// follows (docs/nfv-images.md), a Dockerfile parser and linter that enforce
// them before a build, a checker for built images, and the helpers the VIM
// driver calls before it starts a container: RequiredEnv and MissingEnv.
//
// The conventions, in short: the image runs one ENTRYPOINT or one CMD, in exec
// form, with no arguments; it is configured only through environment
// variables; and it declares them in labels:
//
//	org.openbaton-docker.nfv.env.required  space-separated names it cannot run without
//	org.openbaton-docker.nfv.env.optional  space-separated names it also reads
//	org.openbaton-docker.nfv.env.doc.<VAR> one line saying what VAR means
package nfvimages
