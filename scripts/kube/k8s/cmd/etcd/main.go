// Command etcd is etcd's own server entry point, built from the published
// go.etcd.io/etcd/server/v3 module (the etcd repository's root module uses
// local replace directives and cannot be installed from the proxy).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
