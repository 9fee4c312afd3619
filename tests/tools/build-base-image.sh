#!/usr/bin/env bash
# Builds the local stand-in for Microsoft's chiseled ASP.NET image (mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled),
# since nothing can be pulled here: the host's .NET runtimes plus exactly the shared libraries they load, users from
# /etc/passwd and /etc/group with the non-root app user (uid and gid 1654), /tmp, and no shell. Skipped when it exists.
# Usage: build-base-image.sh [IMAGE]   (default mlops-test/aspnet:10.0)
set -euo pipefail
image=${1:-mlops-test/aspnet:10.0}
# The recipe's own hash labels the image, so an image from an older recipe is built again.
recipe=$(sha256sum "$0" | cut -c1-16)
if [ "$(docker image inspect --format '{{index .Config.Labels "io.mlopsnotebooks.base-recipe"}}' "$image" 2>/dev/null)" = "$recipe" ]; then
  exit 0
fi
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/usr/share/dotnet/shared"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$dotnet_root/LICENSE.txt" "$root/usr/share/dotnet/"
for framework in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
  cp -a "$dotnet_root/shared/$framework" "$root/usr/share/dotnet/shared/"
done

# OpenSSL, which the runtime opens by name (not a link-time dependency ldd sees) as soon as an HttpClient or TLS is used,
# e.g. by the traffic proxy; the chiseled image carries it too.
openssl=()
for library in libssl.so.3 libcrypto.so.3; do
  path=$(ldconfig -p | awk -v name="$library" '$1 == name && $0 ~ /x86-64|AArch64/ {print $NF; exit}')
  [ -n "$path" ] || { echo "OpenSSL 3 ($library) is missing on this machine." >&2; exit 1; }
  mkdir -p "$root$(dirname "$path")"
  cp -L "$path" "$root$path"
  openssl+=("$root$path")
done

# The libraries the host, host/fxr, the runtimes' native parts and OpenSSL load, by their paths on this machine ("not
# found" entries, such as LTTng for the optional trace provider, are left out as the chiseled image leaves them out).
{ find "$root/usr/share/dotnet" -type f \( -name '*.so' -o -name dotnet \) -print0; printf '%s\0' "${openssl[@]}"; } \
  | xargs -0 ldd 2>/dev/null \
  | awk '/^\t/ && $2 == "=>" && $3 ~ /^\// {print $3} /^\t\// {print $1}' \
  | sort -u \
  | while read -r library; do
      mkdir -p "$root$(dirname "$library")"
      cp -L "$library" "$root$library"
    done

mkdir -p "$root/etc" "$root/tmp" "$root/usr/bin"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/noshell\napp:x:1654:1654:app:/home/app:/noshell\n' > "$root/etc/passwd"
printf 'root:x:0:\napp:x:1654:\n' > "$root/etc/group"
mkdir -p "$root/home/app" && chown 1654:1654 "$root/home/app"
ln -s ../share/dotnet/dotnet "$root/usr/bin/dotnet"

tar -C "$root" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/bin:/usr/share/dotnet' \
  --change 'ENV DOTNET_ROOT=/usr/share/dotnet' \
  --change 'ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1' \
  --change 'ENV APP_UID=1654' \
  --change 'USER 1654' \
  --change 'WORKDIR /home/app' \
  --change "LABEL io.mlopsnotebooks.base-recipe=$recipe" \
  - "$image" >/dev/null
echo "Built the base image $image."
