// Package deploy holds no code: it is the home of the deployment files
// (docker-compose.yml, the image Dockerfiles, examples/) and of the tests
// that keep them true to the code: the compose file against the daemons'
// configuration, the example VIM instances and NSDs against the catalogue
// types, docs/configuration.md against the envconfig tags, and the images
// against a real Docker engine and broker.
package deploy
