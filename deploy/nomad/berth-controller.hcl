# Berth's controllers as Nomad's CSI controller plugin (docs/csi.md, "Nomad"), on an etcd
# cluster they share. The hosts they run on hold, made by an operator beforehand (mode 0600):
#   /etc/berth-controller/server.crt, server.key   the REST API's certificate (names berth-ctl-N.example)
#   /etc/berth-controller/hs256.key                head -c 32 /dev/urandom (the node tokens' key)
job "berth-controller" {
  type = "service"

  group "controller" {
    count = 2

    network {
      port "api" { static = 7979 }
    }

    task "berth" {
      driver = "docker"

      config {
        image   = "registry.example.com/berth:0.1.0"
        command = "/opt/berth/bin/berth"
        args    = [
          "serve",
          "--role=controller",
          "--store=etcd://etcd-1.example:2379,etcd-2.example:2379,etcd-3.example:2379",
          "--config=/local/config.yml",
        ]
        ports = ["api"]

        mount {
          type   = "bind"
          source = "/srv/berth/pool"
          target = "/srv/berth/pool"
        }
        mount {
          type     = "bind"
          source   = "/etc/berth-controller"
          target   = "/etc/berth/secret"
          readonly = true
        }
      }

      env {
        CSI_ENDPOINT = "unix:///csi/csi.sock"
      }

      template {
        destination = "local/config.yml"
        data        = <<EOH
stateDir: /alloc/data/state
api:
  listen: 0.0.0.0:7979
  cert: /etc/berth/secret/server.crt
  key: /etc/berth/secret/server.key
auth:
  key: /etc/berth/secret/hs256.key
csi:
  zone: ""
services:
  local:
    driver: loop
    options: {pool: /srv/berth/pool}
EOH
      }

      csi_plugin {
        id        = "berth.dev"
        type      = "controller"
        mount_dir = "/csi"
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
