# A Berth volume for Nomad: nomad volume create deploy/nomad/volume.hcl (docs/csi.md, "Nomad").
# A job claims it with: volume "db" { type = "csi"  source = "db"  access_mode = "single-node-writer"
#                                      attachment_mode = "file-system" }
id        = "db"
name      = "db"
type      = "csi"
plugin_id = "berth.dev"

capacity_min = "1GiB"
capacity_max = "1GiB"

# Berth's volumes are used by one node at a time: single-node-writer or single-node-reader-only.
capability {
  access_mode     = "single-node-writer"
  attachment_mode = "file-system"
}

# The same volume as a raw block device (loop services only).
capability {
  access_mode     = "single-node-writer"
  attachment_mode = "block-device"
}

mount_options {
  fs_type     = "ext4"
  mount_flags = ["noatime"] # only ro, nosuid, nodev, noexec, noatime, nodiratime, relatime, strictatime
}

parameters {
  service = "local"
}
