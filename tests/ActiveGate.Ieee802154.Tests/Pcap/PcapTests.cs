using ActiveGate.Ieee802154.Pcap;
using ActiveGate.Ieee802154.Tests.Support;
using ActiveGate.TestKit.Peers;

namespace ActiveGate.Ieee802154.Tests.Pcap;

public class PcapTests
{
    [Fact]
    public void Reads_golden_fcs_capture_and_every_fcs_is_good()
    {
        using var reader = new PcapReader(File.OpenRead(ReferenceData.LowpanFile("lowpan-fcs.pcap")));
        Assert.Equal(PcapLinkType.Ieee802154WithFcs, reader.LinkType);
        Assert.Equal(2, reader.VersionMajor);
        Assert.Equal(4, reader.VersionMinor);
        PcapRecord[] records = reader.ReadAll().ToArray();
        Assert.Equal(7, records.Length);
        Assert.All(records, r => Assert.True(Fcs.Verify(r.Data.Span)));
        Assert.Equal(1, (records[1].Timestamp - records[0].Timestamp).TotalSeconds);
    }

    [Fact]
    public void Nofcs_capture_holds_the_same_frames_without_fcs()
    {
        using var withFcs = new PcapReader(File.OpenRead(ReferenceData.LowpanFile("lowpan-fcs.pcap")));
        using var noFcs = new PcapReader(File.OpenRead(ReferenceData.LowpanFile("lowpan-nofcs.pcap")));
        Assert.Equal(PcapLinkType.Ieee802154NoFcs, noFcs.LinkType);
        PcapRecord[] a = withFcs.ReadAll().ToArray();
        PcapRecord[] b = noFcs.ReadAll().ToArray();
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i].Data[..^2].ToArray(), b[i].Data.ToArray());
        }
    }

    [Fact]
    public void Round_trips_records_with_microsecond_timestamps()
    {
        var stream = new MemoryStream();
        var t0 = new DateTimeOffset(2026, 11, 24, 20, 0, 0, TimeSpan.Zero).AddTicks(1234560);
        using (var writer = new PcapWriter(stream, PcapLinkType.Ieee802154NoFcs, leaveOpen: true))
        {
            writer.WriteRecord(t0, [1, 2, 3]);
            writer.WriteFrame(t0.AddSeconds(1), [4, 5]);
        }

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        PcapRecord[] records = reader.ReadAll().ToArray();
        Assert.Equal(2, records.Length);
        Assert.Equal(t0, records[0].Timestamp);
        Assert.Equal(new byte[] { 1, 2, 3 }, records[0].Data.ToArray());
        Assert.Equal(new byte[] { 4, 5 }, records[1].Data.ToArray());
        Assert.Equal(2, records[1].OriginalLength);
    }

    [Fact]
    public void WriteFrame_appends_fcs_for_link_type_195()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, PcapLinkType.Ieee802154WithFcs, leaveOpen: true))
        {
            writer.WriteFrame(DateTimeOffset.UnixEpoch, [0x02, 0x00, 0x07]);
        }

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.True(reader.TryReadNext(out PcapRecord record));
        Assert.Equal(5, record.Data.Length);
        Assert.True(Fcs.Verify(record.Data.Span));
        Assert.False(reader.TryReadNext(out _));
    }

    [Fact]
    public void Snap_length_truncates_and_keeps_original_length()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, PcapLinkType.Ieee802154NoFcs, leaveOpen: true, snapLength: 4))
        {
            writer.WriteRecord(DateTimeOffset.UnixEpoch, new byte[10]);
        }

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.True(reader.TryReadNext(out PcapRecord record));
        Assert.Equal(4, record.Data.Length);
        Assert.Equal(10, record.OriginalLength);
    }

    [Fact]
    public async Task Async_writes_are_readable()
    {
        var stream = new MemoryStream();
        await using (var writer = new PcapWriter(stream, PcapLinkType.Ieee802154WithFcs, leaveOpen: true))
        {
            await writer.WriteFrameAsync(DateTimeOffset.UnixEpoch, new byte[] { 0x02, 0x00, 0x01 });
            await writer.WriteRecordAsync(DateTimeOffset.UnixEpoch, new byte[] { 9 });
        }

        stream.Position = 0;
        using var reader = new PcapReader(stream);
        Assert.Equal(2, reader.ReadAll().Count());
    }

    [Theory]
    [InlineData("")]
    [InlineData("d4c3b2a1020004000000")]
    [InlineData("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff")]
    public void Bad_global_header_throws_format_exception(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex);
        Assert.Throws<PcapFormatException>(() => new PcapReader(new MemoryStream(bytes)));
    }

    [Fact]
    public void Truncated_record_throws_format_exception()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, PcapLinkType.Ieee802154NoFcs, leaveOpen: true))
        {
            writer.WriteRecord(DateTimeOffset.UnixEpoch, new byte[10]);
        }

        byte[] bytes = stream.ToArray()[..^3];
        using var reader = new PcapReader(new MemoryStream(bytes));
        Assert.Throws<PcapFormatException>(() => reader.TryReadNext(out _));
    }

    [Fact]
    public void Big_endian_capture_is_read()
    {
        byte[] file = Convert.FromHexString(
            "a1b2c3d4" + "0002" + "0004" + "00000000" + "00000000" + "0000ffff" + "000000e6" +
            "00000001" + "00000002" + "00000002" + "00000002" + "abcd");
        using var reader = new PcapReader(new MemoryStream(file));
        Assert.Equal(PcapLinkType.Ieee802154NoFcs, reader.LinkType);
        Assert.True(reader.TryReadNext(out PcapRecord record));
        Assert.Equal(new byte[] { 0xab, 0xcd }, record.Data.ToArray());
        Assert.Equal(DateTimeOffset.UnixEpoch.AddSeconds(1).AddTicks(20), record.Timestamp);
    }

    [Fact]
    public void Tshark_reports_good_fcs_on_our_capture()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ag-fcs-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = new PcapWriter(File.Create(path), PcapLinkType.Ieee802154WithFcs))
            {
                // Golden frame 1 without its FCS: the writer must append the same FCS.
                writer.WriteFrame(DateTimeOffset.UtcNow, Convert.FromHexString(
                    "61dc2acdaba1b20d06004b120004030201004b12007e33f0163316338f3142011234beefb773656e736f727305706f776572"));
                writer.WriteFrame(DateTimeOffset.UtcNow, [0x02, 0x00, 0x2a]);
            }

            var rows = Tshark.Fields(path, [], "wpan.fcs_ok", "wpan.seq_no", "wpan.frame_type");
            Assert.Equal(2, rows.Count);
            Assert.Equal(["1", "42", "0x0001"], rows[0]);
            Assert.Equal(["1", "42", "0x0002"], rows[1]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
