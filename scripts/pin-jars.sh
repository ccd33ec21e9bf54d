#!/usr/bin/env bash
# Records the SHA-256 of every artifact the Maven build resolves (plugins included) in
# java/.mvn/checksums/, which every later build checks (java/.mvn/maven.config). Run it after
# changing a version in java/pom.xml, then review the diff and commit it.
set -euo pipefail
cd "$(dirname "$0")/../java"
rm -f .mvn/checksums/checksums-*.sha256
./mvnw --quiet clean package -Daether.artifactResolver.postProcessor.trustedChecksums.record=true
echo "pinned $(wc -l < .mvn/checksums/checksums-central.sha256) artifacts in java/.mvn/checksums/"
