using ActiveGate.Ieee802154.Pcap;

namespace ActiveGate.SixLowpan.Tests.Support;

/// <summary>Runs the real tshark (Debian package) as an independent decoder of our frames.</summary>
internal static class Tshark
{
    public static readonly string[] Context0 = ["-o", "6lowpan.context0:fd00::/64", "-o", "udp.check_checksum:TRUE"];

    /// <summary>Writes MPDUs (without FCS) to a link-type-195 pcap and decodes them with tshark -T fields.</summary>
    public static IReadOnlyList<string[]> Decode(IEnumerable<byte[]> mpdus, IEnumerable<string> options, params string[] fields)
    {
        string path = Path.Combine(Path.GetTempPath(), $"ag-lowpan-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var writer = new PcapWriter(File.Create(path), PcapLinkType.Ieee802154WithFcs))
            {
                int i = 0;
                foreach (byte[] mpdu in mpdus)
                {
                    writer.WriteFrame(DateTimeOffset.UnixEpoch.AddSeconds(i++), mpdu);
                }
            }

            return Fields(path, options, fields);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Runs <c>tshark -r file -T fields</c> and returns one row of field values per packet.</summary>
    public static IReadOnlyList<string[]> Fields(string pcapPath, IEnumerable<string> options, params string[] fields) =>
        ActiveGate.TestKit.Peers.Tshark.Fields(pcapPath, options, fields);
}
