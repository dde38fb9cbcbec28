using ActiveGate.Coap.Messages;
using ActiveGate.Coap.Serialization;

namespace ActiveGate.Coap.Tests.Serialization;

internal static class CoapMessageCodecHelpers
{
    public static CoapMessage Read(byte[] wire) => CoapMessageCodec.Read(wire);
}
