using ActiveGate.Ieee802154.Pcap;
using ActiveGate.SixLowpan.Diagnostics;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Tests.Support;

namespace ActiveGate.SixLowpan.Tests.Diagnostics;

/// <summary>Our decoder yields, for the golden captures, the fields tshark reports (radio-and-mesh.md §3.3).</summary>
public class LowpanFrameDecoderTests
{
    [Theory]
    [InlineData("lowpan-fcs.pcap")]
    [InlineData("lowpan-nofcs.pcap")]
    public void Golden_capture_fields_match_tshark(string file)
    {
        using FileStream stream = File.OpenRead(ReferenceData.LowpanFile(file));
        IReadOnlyList<DecodedFrame> frames = LowpanFrameDecoder.DecodeCapture(stream);
        Assert.Equal(7, frames.Count);
        Assert.All(frames, f => Assert.Null(f.Error));
        bool fcs = file.Contains("-fcs", StringComparison.Ordinal);
        Assert.All(frames, f => Assert.Equal(fcs ? true : null, f.FcsOk));

        // frame.number,ipv6.src,ipv6.dst,udp.dstport,udp.checksum.status,coap.code,coap.opt.uri_path_recon
        string?[][] expected =
        [
            ["fe80::212:4b00:102:304", "fe80::212:4b00:60d:b2a1", "5683", "1", "/sensors/power"],
            ["fd00::212:4b00:102:304", "fd00::212:4b00:60d:b2a1", "5683", "1", "/sensors/power"],
            ["fe80::212:4b00:102:304", "ff02::1a", null, null, null],
            [null, null, null, null, null],
            ["fe80::212:4b00:60d:b2a1", "fe80::212:4b00:102:304", "5683", "69", "/sensors/power"],
            ["fd00::212:4b00:102:304", "fd00::212:4b00:60d:b2a1", "5683", "1", "/sensors/power"],
            ["fe80::212:4b00:102:304", "fe80::212:4b00:60d:b2a1", "61619", null, "/power"],
        ];
        for (int i = 0; i < frames.Count; i++)
        {
            DecodedFrame f = frames[i];
            Assert.Equal(expected[i][0], f.Ipv6Source);
            Assert.Equal(expected[i][1], f.Ipv6Destination);
            Assert.Equal(expected[i][2], f.UdpDestinationPort?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (f.UdpDestinationPort is not null)
            {
                Assert.True(f.ChecksumOk);
                (byte code, _, string path) = TestCoap.Parse(f.UdpPayload.Span);
                if (expected[i][3] is { } c)
                {
                    Assert.Equal(c, code.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                // Frame 5's response carries no Uri-Path; tshark reconstructs it from the request.
                if (i != 4)
                {
                    Assert.Equal(expected[i][4], path);
                }
            }
        }

        Assert.Equal((byte)155, frames[2].Icmpv6Type);
        Assert.Equal((byte)1, frames[2].Icmpv6Code);
        Assert.True(frames[2].ChecksumOk);
        Assert.Equal(206, frames[3].Fragment!.Value.DatagramSize);
        Assert.Null(frames[3].ReassembledLength);
        Assert.Equal(206, frames[4].ReassembledLength);
        Assert.Equal(1, frames[5].SegmentsLeft);
        Assert.Equal("fd00::212:4b00:60d:c3d4", frames[5].FinalDestination);
        Assert.Equal("00:12:4b:00:01:02:03:04", frames[0].MacSource);
        Assert.Equal((ushort)0xabcd, frames[0].PanId);
    }

    [Fact]
    public void Bad_fcs_and_wrong_link_type_are_reported()
    {
        byte[] pcap = File.ReadAllBytes(ReferenceData.LowpanFile("lowpan-fcs.pcap"));
        pcap[24 + 16 + 10] ^= 0x01; // a byte inside frame 1
        IReadOnlyList<DecodedFrame> frames = LowpanFrameDecoder.DecodeCapture(new MemoryStream(pcap));
        Assert.Equal(false, frames[0].FcsOk);
        Assert.Equal("bad FCS", frames[0].Error);

        var other = new MemoryStream();
        using (var writer = new PcapWriter(other, (PcapLinkType)1, leaveOpen: true))
        {
            writer.WriteRecord(DateTimeOffset.UnixEpoch, [1, 2, 3]);
        }

        other.Position = 0;
        Assert.Throws<PcapFormatException>(() => LowpanFrameDecoder.DecodeCapture(other));
    }

    [Fact]
    public void Legacy_prefix_decodes_context_addresses_as_aaaa()
    {
        using FileStream stream = File.OpenRead(ReferenceData.LowpanFile("lowpan-nofcs.pcap"));
        IReadOnlyList<DecodedFrame> frames = LowpanFrameDecoder.DecodeCapture(stream, Ipv6Prefix.LegacyContikiMesh);
        Assert.Equal("aaaa::212:4b00:102:304", frames[1].Ipv6Source);
    }
}
