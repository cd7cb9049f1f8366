# Berth's agent as Nomad's CSI node plugin on every client (docs/csi.md, "Nomad").
# Each client holds, made by an operator beforehand (mode 0600):
#   /etc/berth/node.token   berth token new --node <the client's node name> --key hs256.key
#   /etc/berth/ca.crt       the controllers' certificate (server.crt of berth-controller.hcl)
# The Docker task driver must allow privileged containers (plugin "docker" { config { allow_privileged = true } }).
job "berth-node" {
  type = "system"

  group "node" {
    task "berth" {
      driver = "docker"

      config {
        # An image with Berth's jar, a JDK 25, util-linux, e2fsprogs and xfsprogs (none published yet).
        image      = "registry.example.com/berth:0.1.0"
        command    = "/opt/berth/bin/berth"
        args       = [
          "serve",
          "--role=agent",
          "--node=${node.unique.name}",
          "--controller=https://berth-ctl-1.example:7979,https://berth-ctl-2.example:7979",
          "--token-file=/etc/berth-host/node.token",
          "--ca=/etc/berth-host/ca.crt",
          "--config=/local/config.yml",
        ]
        privileged = true   # loop devices, mkfs, mount(2)
        pid_mode   = "host" # fencing finds the processes that hold a volume in /proc

        mount {
          type   = "bind"
          source = "/dev"   # /dev/loop-control and the loop device nodes made after the start
          target = "/dev"
        }
        mount {
          type   = "bind"
          source = "/var/lib/berth" # mountRoot and stateDir, kept across restarts
          target = "/var/lib/berth"
          bind_options { propagation = "rshared" }
        }
        mount {
          type   = "bind"
          source = "/srv/berth/pool" # the shared pool, at the same path as on the controllers
          target = "/srv/berth/pool"
        }
        mount {
          type     = "bind"
          source   = "/etc/berth"
          target   = "/etc/berth-host"
          readonly = true
        }
      }

      env {
        CSI_ENDPOINT = "unix:///csi/csi.sock"
      }

      template {
        destination = "local/config.yml"
        data        = <<EOH
stateDir: /var/lib/berth/state
mountRoot: /var/lib/berth/volumes
docker:
  enabled: false
  engineSocket: ""
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
        type      = "node"
        mount_dir = "/csi"
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
