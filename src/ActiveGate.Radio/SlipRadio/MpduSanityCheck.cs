namespace ActiveGate.Radio.SlipRadio;

/// <summary>
/// slip-radio has no CRC on the serial line, so a received "frame" may be line noise or a frame cut by
/// an unplug. This checks only what the 802.15.4 header promises about length, before the MAC decodes it.
/// </summary>
/// <remarks>
/// <code>
/// FCF (LE): bits 0-2 type | 3 security | 4 pending | 5 ack req | 6 PAN id compression
///           bits 10-11 dst mode | 12-13 version | 14-15 src mode   (mode 0 none, 1 reserved, 2 short, 3 long)
/// </code>
/// </remarks>
internal static class MpduSanityCheck
{
    private const int MaxMpduWithoutFcs = 127 - 2;

    public static bool IsPlausible(ReadOnlySpan<byte> mpdu)
    {
        // FCF + sequence number is the smallest frame (an ACK without FCS).
        if (mpdu.Length < 3 || mpdu.Length > MaxMpduWithoutFcs)
        {
            return false;
        }

        int fcf = mpdu[0] | (mpdu[1] << 8);
        int frameType = fcf & 0x7;
        int destinationMode = (fcf >> 10) & 0x3;
        int version = (fcf >> 12) & 0x3;
        int sourceMode = (fcf >> 14) & 0x3;
        if (frameType > 3 || version > 2 || destinationMode == 1 || sourceMode == 1)
        {
            return false;
        }

        if (version == 2)
        {
            // 802.15.4-2015 PAN id presence follows a table; the MAC decoder checks those frames fully.
            return true;
        }

        bool panIdCompression = (fcf & 0x40) != 0;
        int headerLength = 3;
        if (destinationMode != 0)
        {
            headerLength += 2 + AddressLength(destinationMode);
        }

        if (sourceMode != 0)
        {
            headerLength += (panIdCompression && destinationMode != 0 ? 0 : 2) + AddressLength(sourceMode);
        }

        return headerLength <= mpdu.Length;
    }

    private static int AddressLength(int mode) => mode == 3 ? 8 : 2;
}
