using ActiveGate.Ieee802154;
using ActiveGate.Ieee802154.Pcap;

namespace ActiveGate.SixLowpan.Tests.Support;

internal static class Golden
{
    public static readonly MacAddress Root = MacAddress.Parse("00:12:4b:00:01:02:03:04");
    public static readonly MacAddress Plug = MacAddress.Parse("00:12:4b:00:06:0d:b2:a1");

    /// <summary>The frames of lowpan-nofcs.pcap (MPDUs without FCS).</summary>
    public static byte[][] Frames()
    {
        using var reader = new PcapReader(File.OpenRead(ReferenceData.LowpanFile("lowpan-nofcs.pcap")));
        return reader.ReadAll().Select(r => r.Data.ToArray()).ToArray();
    }
}
