#!/usr/bin/env bash
# Install the Nextflow engine from Maven Central, without its self-installing launcher (which
# downloads from GitHub): the pinned io.nextflow:nextflow jar and its runtime dependencies are
# resolved by `mvn dependency:copy-dependencies` into .nextflow-engine/<version>/lib, and an
# executable wrapper .venv/bin/nextflow starts the engine's launcher class on that classpath.
#
# Two artifacts the 25.04.4 pom names are not on Maven Central; both are handled here:
#   io.nextflow:nf-lang:25.04.4   -> nf-lang 25.04.0 (the newest published; same 25.04 grammar)
#   io.seqera:lib-trace:0.1.0     -> excluded: only nextflow.util.SimpleHttpClient refers to it,
#                                    and no code path of a local or SLURM run loads that class.
# Plugins are never fetched: the wrapper sets NXF_OFFLINE=true unless the caller set it.
# Re-running is a no-op once the jars are in place.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${NXF_ENGINE_VERSION:-25.04.4}"
NF_LANG_VERSION="${NXF_LANG_VERSION:-25.04.0}"
ENGINE="$PWD/.nextflow-engine/$VERSION"
WRAPPER="${1:-$PWD/.venv/bin/nextflow}"

for tool in java mvn; do
    command -v "$tool" >/dev/null 2>&1 || { echo "install_nextflow: $tool not found" >&2; exit 1; }
done

if [ ! -f "$ENGINE/lib/nextflow-$VERSION.jar" ]; then
    mkdir -p "$ENGINE"
    cat > "$ENGINE/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tkiseq</groupId><artifactId>nextflow-engine</artifactId><version>$VERSION</version>
  <dependencyManagement><dependencies>
    <dependency><groupId>io.nextflow</groupId><artifactId>nf-lang</artifactId><version>$NF_LANG_VERSION</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>io.nextflow</groupId><artifactId>nextflow</artifactId><version>$VERSION</version>
      <exclusions><exclusion><groupId>io.seqera</groupId><artifactId>lib-trace</artifactId></exclusion></exclusions>
    </dependency>
  </dependencies>
</project>
POM
    echo "install_nextflow: resolving io.nextflow:nextflow:$VERSION from Maven Central" >&2
    rm -rf "$ENGINE/lib.part"
    mvn -q -B -f "$ENGINE/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$ENGINE/lib.part" -DincludeScope=runtime >"$ENGINE/mvn.log" 2>&1 \
        || { tail -20 "$ENGINE/mvn.log" >&2; exit 1; }
    rm -rf "$ENGINE/lib"
    mv "$ENGINE/lib.part" "$ENGINE/lib"
fi

mkdir -p "$(dirname "$WRAPPER")"
cat > "$WRAPPER.part" <<SH
#!/usr/bin/env bash
# Nextflow $VERSION from Maven Central (written by scripts/install_nextflow.sh)
export NXF_HOME="\${NXF_HOME:-\$HOME/.nextflow}"
export NXF_OFFLINE="\${NXF_OFFLINE:-true}"
export NXF_DISABLE_CHECK_LATEST="\${NXF_DISABLE_CHECK_LATEST:-true}"
opts=(-Dfile.encoding=UTF-8 -Djava.awt.headless=true)
# as Nextflow's own launcher: the quick-start JIT for every command but a (long) run
[ "\${1:-}" = run ] || opts+=(-XX:+TieredCompilation -XX:TieredStopAtLevel=1)
for pkg in java.lang java.io java.nio java.net java.util java.util.concurrent.locks \\
    java.util.concurrent.atomic java.nio.file.spi sun.nio.ch sun.nio.fs \\
    sun.net.www.protocol.http sun.net.www.protocol.https sun.net.www.protocol.ftp \\
    sun.net.www.protocol.file jdk.internal.misc jdk.internal.vm java.util.regex; do
    opts+=("--add-opens=java.base/\$pkg=ALL-UNNAMED")
done
# shellcheck disable=SC2086
exec java "\${opts[@]}" \${NXF_OPTS:-} -cp "$ENGINE/lib/*" nextflow.cli.Launcher "\$@"
SH
chmod +x "$WRAPPER.part"
mv "$WRAPPER.part" "$WRAPPER"
echo "install_nextflow: $("$WRAPPER" -version 2>&1 | grep -o 'version [0-9][^ ]*' | head -1) -> $WRAPPER" >&2
