using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Tests.Support;

internal static class Lowpan
{
    public const ushort Pan = 0xabcd;

    public static byte[][] Encode(byte[] datagram, MacAddress source, MacAddress destination, ContextTable? contexts, ushort tag = 7, byte sequence = 1)
    {
        MacHeader mac = MacHeader.Data(Pan, source, destination, sequence);
        byte[] output = new byte[LowpanCodec.MaxFramesPerDatagram * 127];
        Range[] frames = new Range[LowpanCodec.MaxFramesPerDatagram];
        LowpanError error = LowpanCodec.TryEncode(datagram, mac, contexts, tag, output, frames, out int count);
        Assert.Equal(LowpanError.None, error);
        return frames[..count].Select(r => output[r]).ToArray();
    }

    public static byte[] Udp(Ipv6Address source, Ipv6Address destination, ushort sourcePort, ushort destinationPort, byte[] payload, byte hopLimit = 64, RplHopByHopOption? rpl = null, Ipv6Address[]? via = null)
    {
        byte[] buffer = new byte[4096];
        Assert.True(Ipv6PacketBuilder.TryWriteUdp(source, destination, sourcePort, destinationPort, payload, buffer, out int n, hopLimit, rpl, via ?? []));
        return buffer[..n];
    }
}
