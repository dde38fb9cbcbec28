using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Fragmentation;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests;

/// <summary>The uncompressed IPv6 dispatch 0x41 (RFC 4944 §5.1), alone and inside fragments.</summary>
public class UncompressedDispatchTests
{
    private static byte[][] Encode(byte[] datagram)
    {
        MacHeader mac = MacHeader.Data(Lowpan.Pan, Golden.Root, Golden.Plug, 1);
        byte[] output = new byte[LowpanCodec.MaxFramesPerDatagram * 127];
        Range[] frames = new Range[LowpanCodec.MaxFramesPerDatagram];
        Assert.Equal(LowpanError.None, LowpanCodec.TryEncode(datagram, mac, null, 3, output, frames, out int count, compressHeaders: false));
        return frames[..count].Select(r => output[r]).ToArray();
    }

    [Fact]
    public void Small_datagram_is_one_frame_and_decodes()
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.LinkLocal(Golden.Root), Ipv6Address.LinkLocal(Golden.Plug), 5683, 5683, TestCoap.Get(1, [1], "a"));
        byte[] frame = Assert.Single(Encode(datagram));
        MacFrame mac = MacFrameCodec.Read(frame);
        Assert.Equal(0x41, mac.Payload[0]);
        byte[] output = new byte[1280];
        Assert.Equal(LowpanError.None, LowpanCodec.TryDecode(mac.Payload, new LinkAddresses(Golden.Root, Golden.Plug), null, output, out int n));
        Assert.Equal(datagram, output[..n]);

        var rows = Tshark.Decode([frame], Tshark.Context0, "wpan.fcs_ok", "ipv6.src", "ipv6.dst", "udp.checksum.status", "coap.opt.uri_path_recon");
        Assert.Equal(["1", "fe80::212:4b00:102:304", "fe80::212:4b00:60d:b2a1", "1", "/a"], rows[0]);
    }

    [Fact]
    public void Fragmented_uncompressed_datagram_reassembles()
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.LinkLocal(Golden.Root), Ipv6Address.LinkLocal(Golden.Plug), 5683, 5683, new byte[300]);
        byte[][] frames = Encode(datagram);
        Assert.True(frames.Length > 3);
        using var reassembler = new Reassembler(timeProvider: new FakeTimeProvider());
        byte[]? result = null;
        foreach (byte[] frame in frames)
        {
            reassembler.Add(MacFrameCodec.Read(frame).Payload, new LinkAddresses(Golden.Root, Golden.Plug), null, out result, out _);
        }

        Assert.Equal(datagram, result);
        var rows = Tshark.Decode(frames, ["-2"], "6lowpan.reassembled.length", "udp.checksum.status");
        Assert.Equal(datagram.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), rows[^1][0]);
    }
}
