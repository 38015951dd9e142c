# Bulwark. Newcomers: `make demo` and `make test`.
SHELL := /bin/bash
JAVA_HOME := $(shell scripts/find-java)
ifeq ($(JAVA_HOME),)
$(error no JDK >= 21 found: set JAVA_HOME or install one under /usr/lib/jvm)
endif
export JAVA_HOME
MVN ?= mvn -B -q

.PHONY: build test chaos demo bench bench-mirror bench-fleet bench-compress bench-grpc bench-startup bench-warmup bench-footprint docs clean

build: ## the fat jar target/bulwark.jar, then the JVM's AOT cache of it from a training run (docs/startup.md; NO_AOT=1 skips it)
	$(MVN) package -DskipTests
	@if [ -z "$(NO_AOT)" ]; then scripts/aot-cache train "$(JAVA_HOME)" target/bulwark.jar; fi

test: ## every unit and integration test, with Netty leak detection at paranoid
	bash scripts/test.sh

chaos: ## the chaos suite at full length (20 s of load per scenario); counts in target/chaos-report.txt
	rm -f target/chaos-report.txt
	$(MVN) test -Dtest='ChaosIT' -Dbulwark.chaos.seconds=20 -Dsurefire.failIfNoSpecifiedTests=false
	cat target/chaos-report.txt

demo: build ## demo upstreams + the gateway on examples/demo.yaml
	./bulwark demo

bench: build ## gateway vs nginx, pinned cores (not part of test); COMPRESS=1, GRPC=1, STARTUP_BENCH=1, WARMUP_BENCH=1, FOOTPRINT=1 add those benches
	bash bench/run.sh

bench-mirror: build ## a route with a working, hanging or down mirror against the same route without
	bash bench/mirror.sh

bench-fleet: build ## etcd mode: propagation of a write to 3 gateways, start-up with 10,000 routes (etcd vs file)
	bash bench/fleet.sh

bench-compress: build ## CPU per MiB of Bulwark's gzip 6 and Brotli 4 against nginx's gzip 6, same core
	bash bench/compress.sh

bench-grpc: build ## gRPC unary calls/s: Bulwark vs direct vs nginx grpc_pass, same core (h2load, grpc-java server)
	bash bench/grpc.sh

bench-startup: build ## launch to the first proxied 200: with the AOT cache, without it, and nginx (medians of ROUNDS=5)
	bash bench/startup.sh

bench-warmup: build ## the first 10 s after /health/ready against the same gateway warm, with and without server.warmup
	bash bench/warmup.sh

bench-footprint: build ## RSS with the default JVM flags: idle, per idle keep-alive connection, per WebSocket (5,000 each)
	bash bench/footprint.sh

docs: ## regenerate docs/bulwark.schema.json and docs/configuration.md from the config records
	$(MVN) compile dependency:build-classpath -Dmdep.outputFile=target/docs.classpath -Dmdep.includeScope=runtime
	$(JAVA_HOME)/bin/java -cp "target/classes:$$(cat target/docs.classpath)" bulwark.config.ConfigDocs docs

clean:
	$(MVN) clean
