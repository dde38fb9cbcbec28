using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Fragmentation;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests;

/// <summary>Parsers never throw on hostile input: they return an error.</summary>
public class MalformedInputTests
{
    private static readonly ContextTable s_contexts = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);
    private static readonly LinkAddresses s_link = new(Golden.Root, Golden.Plug);

    [Theory]
    [InlineData("", LowpanError.Truncated)]
    [InlineData("7e", LowpanError.Truncated)]
    [InlineData("7a33", LowpanError.Truncated)] // NH inline missing
    [InlineData("7e33f0", LowpanError.Truncated)] // NHC UDP ports missing
    [InlineData("7e33e2", LowpanError.Truncated)]
    [InlineData("7e33e4000000", LowpanError.UnsupportedNextHeaderCompression)] // EID 2 (fragment)
    [InlineData("7e33ee", LowpanError.UnsupportedNextHeaderCompression)] // EID 7 (IPv6 tunnel)
    [InlineData("7e33c0", LowpanError.UnsupportedNextHeaderCompression)]
    [InlineData("7e3300", LowpanError.UnsupportedNextHeaderCompression)]
    [InlineData("7e33e302ff", LowpanError.Truncated)] // routing EH: length 2, only 1 byte
    [InlineData("7e33e30102", LowpanError.InvalidExtensionHeader)] // routing EH needing padding
    [InlineData("7e34", LowpanError.ReservedEncoding)] // DAC=1 M=0 DAM=00
    [InlineData("7e3d", LowpanError.ReservedEncoding)] // M=1 DAC=1 DAM=01
    [InlineData("7ef3", LowpanError.Truncated)] // CID=1 but the SCI/DCI byte is missing
    [InlineData("7ef311", LowpanError.UnknownContext)] // SCI 1 not in the table
    [InlineData("42", LowpanError.UnsupportedDispatch)] // HC1
    [InlineData("80", LowpanError.UnsupportedDispatch)] // mesh header
    [InlineData("01", LowpanError.UnsupportedDispatch)] // NALP
    [InlineData("41", LowpanError.Truncated)]
    [InlineData("4160000000ffff3a40" + "00000000000000000000000000000001" + "00000000000000000000000000000002", LowpanError.Truncated)]
    [InlineData("4150000000000000000000000000000000000000000000000000000000000000000000000000000000", LowpanError.InvalidIpv6Header)]
    [InlineData("50", LowpanError.Truncated)]
    [InlineData("5001", LowpanError.Truncated)]
    public void Bad_lowpan_payloads_report_errors(string hex, LowpanError expected)
    {
        LowpanError error = LowpanCodec.TryDecode(Convert.FromHexString(hex), s_link, s_contexts, new byte[1280], out int length);
        Assert.Equal(expected, error);

        Assert.Equal(0, length);
    }

    [Fact]
    public void Random_bytes_never_throw_anywhere_in_the_receive_path()
    {
        var random = new Random(42);
        byte[] input = new byte[127];
        byte[] output = new byte[1280];
        using var reassembler = new Reassembler(timeProvider: new FakeTimeProvider());
        string[] prefixes = ["7e33", "7ef7", "7b3b", "c0ce", "e0ce", "41", "50", "7a33e1", "7e33e3"];
        for (int i = 0; i < 100_000; i++)
        {
            int length = random.Next(input.Length);
            random.NextBytes(input.AsSpan(0, length));
            byte[] prefix = Convert.FromHexString(prefixes[i % prefixes.Length]);
            if (length >= prefix.Length && i % 3 != 0)
            {
                prefix.CopyTo(input, 0);
            }

            ReadOnlySpan<byte> frame = input.AsSpan(0, length);
            if (MacFrameCodec.TryRead(frame, out MacFrame mac, out _))
            {
                _ = mac.Payload.Length;
            }

            if (LowpanCodec.TryDecode(frame, s_link, s_contexts, output, out int n) == LowpanError.None)
            {
                _ = Ipv6Packet.TryParse(output.AsSpan(0, n), out _, out _);
            }

            reassembler.Add(frame, s_link, s_contexts, out byte[]? datagram, out _);
            if (datagram is not null)
            {
                _ = Ipv6Packet.TryParse(datagram, out _, out _);
            }

            _ = Ipv6Packet.TryParse(frame, out _, out _);
        }
    }

    [Fact]
    public void Decoder_respects_a_small_destination()
    {
        byte[] frame = Golden.Frames()[0];
        MacFrame mac = MacFrameCodec.Read(frame);
        var link = new LinkAddresses(mac.Header.Source, mac.Header.Destination);
        Assert.Equal(LowpanError.DestinationTooSmall, LowpanCodec.TryDecode(mac.Payload, link, s_contexts, new byte[39], out _));
        Assert.Equal(LowpanError.DestinationTooSmall, LowpanCodec.TryDecode(mac.Payload, link, s_contexts, new byte[50], out _));
    }

    [Fact]
    public void Compressor_refuses_inconsistent_ipv6_and_small_buffers()
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fe80::1"), Ipv6Address.Parse("fe80::2"), 1, 2, [1, 2, 3]);
        byte[] buffer = new byte[64];
        Assert.False(IphcCompressor.TryCompress(datagram.AsSpan(0, datagram.Length - 1), s_link, null, buffer, out IphcCompressResult r));
        Assert.Equal(LowpanError.InvalidIpv6Header, r.Error);
        byte[] small = new byte[5];
        Assert.False(IphcCompressor.TryCompress(datagram, s_link, null, small, out r));
        Assert.Equal(LowpanError.DestinationTooSmall, r.Error);
        Assert.All(small, b => Assert.Equal(0, b));
    }
}
