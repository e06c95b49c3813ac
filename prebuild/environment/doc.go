// Package environment starts a user's environment: from the project's most
// recent successful prebuild of the environment's class when there is one
// (restored lazily by the devcache snapshotter, then only the post* commands
// run), or from scratch otherwise (image, initializeCommand, onCreate,
// updateContent, then the post* commands). The log says which prebuild was
// used and how long the setup would have taken without it.
package environment
