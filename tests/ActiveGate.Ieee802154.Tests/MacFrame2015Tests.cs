using ActiveGate.Ieee802154.Pcap;
using ActiveGate.TestKit.Peers;

namespace ActiveGate.Ieee802154.Tests;

/// <summary>802.15.4-2015 frames without IEs: PAN id presence per Table 7-2, checked against tshark.</summary>
public class MacFrame2015Tests
{
    private const string Src = "04030201004b1200";
    private const string Dst = "a1b20d06004b1200";

    public static TheoryData<string, string> Frames => new()
    {
        // FCF, then what our decoder must report: dstPan/srcPan/dst/src/seq
        { "41e805cdabffff" + Src, "abcd|abcd|ff:ff|00:12:4b:00:01:02:03:04|5" },
        { "01ec06cdab" + Dst + Src, "abcd|abcd|00:12:4b:00:06:0d:b2:a1|00:12:4b:00:01:02:03:04|6" },
        { "41ec07" + Dst + Src, "0|0|00:12:4b:00:06:0d:b2:a1|00:12:4b:00:01:02:03:04|7" },
        { "41a9cdab02000100", "abcd|abcd|00:02|00:01|-" },
        { "01a9cdab020034120100", "abcd|1234|00:02|00:01|-" },
        { "412008cdab", "abcd|abcd|-|-|8" },
        { "012009", "0|0|-|-|9" },
        { "01e80acdab01003412" + Src, "abcd|1234|00:01|00:12:4b:00:01:02:03:04|10" },
        { "01a00ccdab0200", "abcd|abcd|-|00:02|12" },
        { "41a00d0200", "0|0|-|00:02|13" },
        { "41280effff", "0|0|ff:ff|-|14" },
    };

    private static string Describe(MacHeader h) =>
        $"{h.DestinationPanId:x}|{h.SourcePanId:x}|{h.Destination}|{h.Source}|{(h.SequenceNumberSuppressed ? "-" : h.SequenceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture))}";

    [Theory]
    [MemberData(nameof(Frames))]
    public void Decodes_table_7_2_combinations(string hex, string expected)
    {
        Assert.True(MacFrameCodec.TryRead(Convert.FromHexString(hex), out MacFrame frame, out MacFrameError error), error.ToString());
        Assert.Equal(MacFrameVersion.Ieee2015, frame.Header.Version);
        Assert.Equal(expected, Describe(frame.Header));
        Assert.Equal(hex.Length / 2, frame.HeaderLength);
    }

    [Fact]
    public void Tshark_agrees_on_pan_ids_and_addresses()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ag-2015-{Guid.NewGuid():N}.pcap");
        try
        {
            var frames = Frames.Select(row => Convert.FromHexString((string)row[0])).ToArray();
            using (var writer = new PcapWriter(File.Create(path), PcapLinkType.Ieee802154WithFcs))
            {
                foreach (byte[] frame in frames)
                {
                    writer.WriteFrame(DateTimeOffset.UnixEpoch, frame);
                }
            }

            var rows = Tshark.Fields(path, [], "wpan.fcs_ok", "wpan.dst_pan", "wpan.src_pan", "wpan.dst16", "wpan.dst64", "wpan.src16", "wpan.src64", "wpan.seq_no");
            Assert.Equal(frames.Length, rows.Count);
            for (int i = 0; i < frames.Length; i++)
            {
                MacHeader h = MacFrameCodec.Read(frames[i]).Header;
                string[] row = rows[i];
                Assert.Equal("1", row[0]);
                bool dstPanOnAir = row[1].Length > 0;
                bool srcPanOnAir = row[2].Length > 0;
                if (dstPanOnAir)
                {
                    Assert.Equal($"0x{h.DestinationPanId:x4}", row[1]);
                }

                if (srcPanOnAir)
                {
                    Assert.Equal($"0x{h.SourcePanId:x4}", row[2]);
                }

                string dst = h.Destination.Mode switch
                {
                    AddressingMode.Short => $"0x{h.Destination.ShortValue:x4}|",
                    AddressingMode.Extended => $"|{h.Destination}",
                    _ => "|",
                };
                Assert.Equal(dst, row[3] + "|" + row[4]);
                string src = h.Source.Mode switch
                {
                    AddressingMode.Short => $"0x{h.Source.ShortValue:x4}|",
                    AddressingMode.Extended => $"|{h.Source}",
                    _ => "|",
                };
                Assert.Equal(src, row[5] + "|" + row[6]);
                Assert.Equal(h.SequenceNumberSuppressed ? string.Empty : h.SequenceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), row[7]);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Writer_refuses_2015_headers()
    {
        var header = MacHeader.Data(1, MacAddress.FromShort(1), MacAddress.FromShort(2), 1) with { Version = MacFrameVersion.Ieee2015 };
        Assert.False(MacFrameCodec.TryWriteHeader(header, new byte[64], out _));
        Assert.False(MacFrameCodec.TryWrite(header, [], new byte[64], out _, out MacFrameError error));
        Assert.Equal(MacFrameError.UnsupportedVersion, error);
    }
}
