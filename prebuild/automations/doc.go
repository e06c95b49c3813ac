// Package automations reads .ona/automations.yaml-style files (services and
// tasks with triggers) and runs the part a prebuild runs: the services
// triggered by "prebuild" are started and waited for ready, the tasks
// triggered by "prebuild" run in dependency order (dependsOn pulls in the
// tasks they need), the services are stopped, then the tasks triggered by
// "beforeSnapshot" run.
package automations
