# Sourced by tools/gpu/full-size.sh: gives onnxruntime-node's WebGPU execution provider (Dawn) exactly one Vulkan
# driver, so that Dawn cannot pick another adapter than the one named, and says which it is.
#   use_vulkan nvidia    the GPU machine: the loader from .gl/ (the device tool's README), NVIDIA's driver
#   use_vulkan lavapipe  this machine: Mesa's software driver on the CPU
# Exports VK_DRIVER_FILES (one ICD), LD_LIBRARY_PATH where a private driver needs it, and VULKAN_ADAPTER (what ran).
#
# lavapipe: Debian 12's mesa-vulkan-drivers (Mesa 22.3) lacks two features Dawn requires of every Vulkan device
# (shaderSampledImageArrayDynamicIndexing, shaderStorageImageArrayDynamicIndexing: "Vulkan
# shaderUniform*ArrayDynamicIndexing required", then "No supported adapters"). Where the installed lavapipe lacks
# them, bookworm-backports' Mesa is unpacked into .cache/vulkan/ (apt-get download, nothing installed system-wide).

VULKAN_CACHE=${VULKAN_CACHE:-.cache/vulkan}

vulkan_fail() {
  echo "Vulkan: $*" >&2
  return 1
}

# Installs Debian packages as root, else names them and stops.
vulkan_need_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    vulkan_fail "missing Debian packages: ${missing[*]}. Install them (sudo apt-get install --no-install-recommends ${missing[*]}) and run again."
    return 1
  fi
  echo "Vulkan: installing ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; } ||
    vulkan_fail "apt-get could not install ${missing[*]}."
}

# Whether the driver named by VK_DRIVER_FILES offers what Dawn requires of a Vulkan device.
vulkan_dawn_can_use() {
  local features
  features=$(vulkaninfo 2>/dev/null) || return 1
  grep -Eq 'shaderSampledImageArrayDynamicIndexing *= *true' <<<"$features" &&
    grep -Eq 'shaderStorageImageArrayDynamicIndexing *= *true' <<<"$features"
}

# Unpacks bookworm-backports' lavapipe (and the libdrm it links) into $VULKAN_CACHE; prints its ICD file.
vulkan_backports_lavapipe() {
  local root=$VULKAN_CACHE/root lists=$VULKAN_CACHE/lists
  local icd=$VULKAN_CACHE/lvp_icd.json
  if [ ! -f "$icd" ]; then
    echo "Vulkan: the installed lavapipe is too old for Dawn; fetching bookworm-backports' Mesa into $VULKAN_CACHE" >&2
    mkdir -p "$lists/partial" "$VULKAN_CACHE/debs"
    echo "deb http://deb.debian.org/debian bookworm-backports main" >"$VULKAN_CACHE/sources.list"
    local apt=(-o "Dir::State::Lists=$PWD/$lists" -o "Dir::Etc::SourceList=$PWD/$VULKAN_CACHE/sources.list"
      -o "Dir::Etc::SourceParts=/nonexistent" -o "Dir::Cache=$PWD/$VULKAN_CACHE/cache" -o "Debug::NoLocking=1")
    mkdir -p "$VULKAN_CACHE/cache/archives/partial"
    apt-get "${apt[@]}" update >/dev/null 2>&1 &&
      (cd "$VULKAN_CACHE/debs" && apt-get "${apt[@]}" download mesa-vulkan-drivers/bookworm-backports \
        libdrm2/bookworm-backports libdrm-amdgpu1/bookworm-backports >/dev/null 2>&1) ||
      {
        vulkan_fail "could not download bookworm-backports' mesa-vulkan-drivers. Dawn needs lavapipe from Mesa 23 or later (Debian 13's mesa-vulkan-drivers, or bookworm-backports'); or set VK_DRIVER_FILES to another Vulkan driver's ICD file."
        return 1
      }
    for deb in "$VULKAN_CACHE"/debs/*.deb; do dpkg -x "$deb" "$root"; done
    local lib=$PWD/$root/usr/lib/x86_64-linux-gnu
    sed "s#\"library_path\": *\"[^\"]*\"#\"library_path\": \"$lib/libvulkan_lvp.so\"#" \
      "$root/usr/share/vulkan/icd.d/lvp_icd.json" >"$icd"
  fi
  echo "$PWD/$icd"
}

use_vulkan() {
  local kind=$1
  export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
  case $kind in
  nvidia)
    if [ -d .gl ]; then
      for deb in .gl/*.deb; do dpkg -x "$deb" /; done
      ldconfig
    fi
    ldconfig -p | grep -q 'libvulkan\.so\.1' ||
      { vulkan_fail "no Vulkan loader (libvulkan.so.1): bring .gl/ as the device tool's README says."; return 1; }
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    [ -f "$VK_DRIVER_FILES" ] || { vulkan_fail "no NVIDIA Vulkan driver at $VK_DRIVER_FILES."; return 1; }
    ;;
  lavapipe)
    vulkan_need_packages libvulkan1 mesa-vulkan-drivers vulkan-tools || return 1
    export VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
    if ! vulkan_dawn_can_use; then
      VK_DRIVER_FILES=$(vulkan_backports_lavapipe) || return 1
      export VK_DRIVER_FILES
      export LD_LIBRARY_PATH=$PWD/$VULKAN_CACHE/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
      vulkan_dawn_can_use || { vulkan_fail "bookworm-backports' lavapipe lacks what Dawn needs too."; return 1; }
    fi
    ;;
  *)
    vulkan_fail "unknown driver '$kind': nvidia or lavapipe."
    return 1
    ;;
  esac
  # The one device this driver offers, as Vulkan names it (vulkaninfo where it is installed).
  VULKAN_ADAPTER=$(vulkaninfo --summary 2>/dev/null | sed -n 's/^[[:space:]]*\(deviceName\|driverInfo\)[[:space:]]*= //p' |
    paste -sd ';' -)
  export VULKAN_ADAPTER=${VULKAN_ADAPTER:-$kind (vulkaninfo not installed)}
  echo "Vulkan: $VK_DRIVER_FILES -> $VULKAN_ADAPTER"
}
