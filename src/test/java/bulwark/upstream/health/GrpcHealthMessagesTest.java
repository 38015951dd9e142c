package bulwark.upstream.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The hand-written protobuf of grpc.health.v1 and gRPC's framing, against bytes worked out from the
 * protobuf encoding rules (and, for the request, what grpc-java's generated code sends).
 */
class GrpcHealthMessagesTest {
  private static byte[] bytes(int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
    return b;
  }

  @Test
  void theWholeServerIsAnEmptyMessageInAFiveBytePrefix() {
    assertThat(GrpcHealthMessages.requestFrame("")).containsExactly(0, 0, 0, 0, 0);
  }

  @Test
  void aServiceIsField1LengthDelimited() {
    // 0x0A = field 1, wire type 2; then the length; then the UTF-8 bytes
    assertThat(GrpcHealthMessages.requestFrame("a.B"))
        .containsExactly(bytes(0, 0, 0, 0, 5, 0x0A, 3, 'a', '.', 'B'));
  }

  @Test
  void aLongServiceNameHasAMultiByteVarintLengthAndABigEndianPrefix() {
    String name = "s".repeat(300);
    byte[] f = GrpcHealthMessages.requestFrame(name);
    // 300 = 0b1_0010_1100: varint AC 02; the message is 1 + 2 + 300 = 303 = 0x012F bytes
    assertThat(f).hasSize(5 + 303);
    assertThat(java.util.Arrays.copyOf(f, 8))
        .containsExactly(bytes(0, 0, 0, 0x01, 0x2F, 0x0A, 0xAC, 0x02));
    assertThat(new String(f, 8, 300, StandardCharsets.UTF_8)).isEqualTo(name);
  }

  @Test
  void aNonAsciiServiceNameIsCountedInUtf8Bytes() {
    byte[] f = GrpcHealthMessages.requestFrame("ü");
    assertThat(f).containsExactly(bytes(0, 0, 0, 0, 4, 0x0A, 2, 0xC3, 0xBC));
  }

  @Test
  void eachServingStatusDecodes() {
    assertThat(GrpcHealthMessages.servingStatus(bytes(0x08, 1)))
        .isEqualTo(GrpcHealthMessages.SERVING);
    assertThat(GrpcHealthMessages.servingStatus(bytes(0x08, 2)))
        .isEqualTo(GrpcHealthMessages.NOT_SERVING);
    assertThat(GrpcHealthMessages.servingStatus(bytes(0x08, 3)))
        .isEqualTo(GrpcHealthMessages.SERVICE_UNKNOWN);
    // proto3 leaves UNKNOWN (0) out: an empty message is UNKNOWN
    assertThat(GrpcHealthMessages.servingStatus(new byte[0])).isEqualTo(GrpcHealthMessages.UNKNOWN);
  }

  @Test
  void unknownFieldsOfEveryWireTypeAreSkippedAndTheLastStatusWins() {
    byte[] msg =
        bytes(
            0x10, 0x96, 0x01, // field 2 varint 150
            0x19, 1, 2, 3, 4, 5, 6, 7, 8, // field 3 fixed64
            0x22, 2, 'h', 'i', // field 4 length-delimited
            0x2D, 1, 2, 3, 4, // field 5 fixed32
            0x08, 2, // status NOT_SERVING
            0x08, 1); // then SERVING: the last one counts
    assertThat(GrpcHealthMessages.servingStatus(msg)).isEqualTo(GrpcHealthMessages.SERVING);
  }

  @Test
  void aValueThisVersionDoesNotKnowIsNamedByItsNumber() {
    int s = GrpcHealthMessages.servingStatus(bytes(0x08, 0x88, 0x01)); // 136
    assertThat(s).isEqualTo(136);
    assertThat(GrpcHealthMessages.servingName(s)).isEqualTo("serving status 136");
    assertThat(GrpcHealthMessages.servingName(2)).isEqualTo("NOT_SERVING");
    assertThat(GrpcHealthMessages.codeName(12)).isEqualTo("UNIMPLEMENTED");
    assertThat(GrpcHealthMessages.codeName(99)).isEqualTo("99");
  }

  @Test
  void malformedMessagesSayWhatIsWrong() {
    assertThatThrownBy(() -> GrpcHealthMessages.servingStatus(bytes(0x08)))
        .hasMessageContaining("cut-off varint");
    assertThatThrownBy(() -> GrpcHealthMessages.servingStatus(bytes(0x0A, 1, 1)))
        .hasMessageContaining("status has wire type 2");
    assertThatThrownBy(() -> GrpcHealthMessages.servingStatus(bytes(0x22, 5, 'h')))
        .hasMessageContaining("cut-off field");
    assertThatThrownBy(() -> GrpcHealthMessages.servingStatus(bytes(0x13)))
        .hasMessageContaining("wire type 3");
    assertThatThrownBy(() -> GrpcHealthMessages.servingStatus(bytes(0x00, 1)))
        .hasMessageContaining("field number 0");
    assertThatThrownBy(
            () ->
                GrpcHealthMessages.servingStatus(
                    bytes(0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1)))
        .hasMessageContaining("over 10 bytes");
  }

  @Test
  void aUnaryAnswerHasExactlyOneUncompressedMessage() {
    assertThat(GrpcHealthMessages.unaryMessage(GrpcHealthMessages.responseFrame(1)))
        .containsExactly(0x08, 1);
    assertThat(GrpcHealthMessages.unaryMessage(GrpcHealthMessages.responseFrame(0))).isEmpty();
    assertThatThrownBy(() -> GrpcHealthMessages.unaryMessage(new byte[0]))
        .hasMessage("no message in the answer");
    assertThatThrownBy(() -> GrpcHealthMessages.unaryMessage(bytes(0, 0, 0)))
        .hasMessageContaining("prefix is cut off");
    assertThatThrownBy(() -> GrpcHealthMessages.unaryMessage(bytes(0, 0, 0, 0, 3, 0x08)))
        .hasMessageContaining("cut off (1 of 3 bytes)");
    assertThatThrownBy(() -> GrpcHealthMessages.unaryMessage(bytes(1, 0, 0, 0, 2, 0x08, 1)))
        .hasMessageContaining("compressed");
    assertThatThrownBy(() -> GrpcHealthMessages.unaryMessage(bytes(7, 0, 0, 0, 0)))
        .hasMessageContaining("flag is 7");
    assertThatThrownBy(
            () -> GrpcHealthMessages.unaryMessage(bytes(0, 0, 0, 0, 2, 0x08, 1, 0, 0, 0, 0, 0)))
        .hasMessageContaining("more than one message");
    // a length with the top bit set is not a negative number
    assertThatThrownBy(() -> GrpcHealthMessages.unaryMessage(bytes(0, 0xFF, 0xFF, 0xFF, 0xFF)))
        .hasMessageContaining("of 4294967295 bytes");
  }

  @Test
  void grpcMessageIsPercentDecodedAsUtf8AndPlusStaysPlus() {
    assertThat(GrpcHealthMessages.percentDecode("not today %C3%BC a+b"))
        .isEqualTo("not today ü a+b");
    assertThat(GrpcHealthMessages.percentDecode("100%")).isEqualTo("100%");
    assertThat(GrpcHealthMessages.percentDecode("%zz%4")).isEqualTo("%zz%4");
    assertThat(GrpcHealthMessages.percentDecode("plain")).isEqualTo("plain");
  }
}
