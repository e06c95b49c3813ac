package builder

import (
	"strings"
)

// buildOptions maps the docker build flags of build.options that have a
// Dockerfile-frontend equivalent to frontend options for the nested
// Dockerfile build: --build-arg, --add-host, --network and --target. The
// rest are returned so the caller can warn that they are ignored.
func buildOptions(flags []string) (opts map[string]string, ignored []string) {
	opts = map[string]string{}
	var hosts []string
	for i := 0; i < len(flags); i++ {
		name, value, inline := strings.Cut(flags[i], "=")
		if !inline {
			switch name {
			case "--build-arg", "--add-host", "--network", "--target":
				if i+1 < len(flags) {
					i++
					value = flags[i]
				}
			}
		}
		switch name {
		case "--build-arg":
			if k, v, ok := strings.Cut(value, "="); ok {
				opts["build-arg:"+k] = v
			}
		case "--add-host":
			// docker's host:ip becomes the frontend's host=ip.
			if !strings.Contains(value, "=") {
				if h, ip, ok := strings.Cut(value, ":"); ok {
					value = h + "=" + ip
				}
			}
			hosts = append(hosts, value)
		case "--network":
			opts["force-network-mode"] = value
		case "--target":
			opts["target"] = value
		default:
			ignored = append(ignored, flags[i])
		}
	}
	if len(hosts) > 0 {
		opts["add-hosts"] = strings.Join(hosts, ",")
	}
	return opts, ignored
}
