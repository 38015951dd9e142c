package bulwark.observe;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GrpcCallTest {
  @Test
  void serviceAndMethodFromThePath() {
    GrpcCall g = GrpcCall.of("/helloworld.Greeter/SayHello", 0);
    assertThat(g.service()).isEqualTo("helloworld.Greeter");
    assertThat(g.method()).isEqualTo("SayHello");
    assertThat(g.status()).isZero();
    assertThat(GrpcCall.of("/a_b.C1/m_2", 5)).isEqualTo(new GrpcCall("a_b.C1", "m_2", 5));
  }

  @Test
  void pathsThatAreNotServiceAndMethodNameNeither() {
    for (String p :
        new String[] {
          null,
          "",
          "/",
          "//",
          "/svc",
          "/svc/",
          "//m",
          "/svc/m/extra",
          "svc/m",
          "/s%20v/m",
          "/svc/m?x=1",
          "/svc/m-x",
          "/" + "s".repeat(257) + "/m"
        }) {
      GrpcCall g = GrpcCall.of(p, 2);
      assertThat(g.service()).as(p).isNull();
      assertThat(g.method()).as(p).isNull();
      assertThat(g.status()).isEqualTo(2);
    }
  }

  @Test
  void statusValues() {
    assertThat(GrpcCall.parseStatus(null)).isEqualTo(GrpcCall.NONE);
    assertThat(GrpcCall.parseStatus("0")).isZero();
    assertThat(GrpcCall.parseStatus(" 14 ")).isEqualTo(14);
    assertThat(GrpcCall.parseStatus("16")).isEqualTo(16);
    // what a gRPC client reads as UNKNOWN
    assertThat(GrpcCall.parseStatus("17")).isEqualTo(GrpcCall.UNKNOWN);
    assertThat(GrpcCall.parseStatus("999")).isEqualTo(GrpcCall.UNKNOWN);
    assertThat(GrpcCall.parseStatus("12345")).isEqualTo(GrpcCall.UNKNOWN);
    assertThat(GrpcCall.parseStatus("-1")).isEqualTo(GrpcCall.UNKNOWN);
    assertThat(GrpcCall.parseStatus("ok")).isEqualTo(GrpcCall.UNKNOWN);
    assertThat(GrpcCall.parseStatus("")).isEqualTo(GrpcCall.UNKNOWN);
    assertThat(GrpcCall.name(0)).isEqualTo("OK");
    assertThat(GrpcCall.name(5)).isEqualTo("NOT_FOUND");
    assertThat(GrpcCall.name(16)).isEqualTo("UNAUTHENTICATED");
    assertThat(GrpcCall.name(GrpcCall.NONE)).isEqualTo("none");
  }
}
