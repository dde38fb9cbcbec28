namespace ActiveGate.SixLowpan.Rpl;

/// <summary>
/// RPL lollipop counters (RFC 6550 §7.2): 128-255 is the straight "stick" a counter starts on
/// (at 240) after a reboot, 0-127 the circular part it stays in afterwards.
/// </summary>
public static class Lollipop
{
    /// <summary>SEQUENCE_WINDOW: differences above it make two counters incomparable.</summary>
    public const int SequenceWindow = 16;

    /// <summary>The value after <paramref name="value"/>.</summary>
    public static byte Increment(byte value) => value >= 128
        ? (byte)(value == 255 ? 0 : value + 1)
        : (byte)((value + 1) & 0x7F);

    /// <summary>
    /// True when <paramref name="candidate"/> is newer than <paramref name="current"/>. Counters that
    /// are too far apart to compare count as newer, so a rebooted node resynchronises at once.
    /// </summary>
    public static bool IsNewer(byte candidate, byte current)
    {
        if (candidate == current)
        {
            return false;
        }

        bool candidateLinear = candidate >= 128;
        bool currentLinear = current >= 128;
        if (candidateLinear && !currentLinear)
        {
            return 256 + current - candidate > SequenceWindow;
        }

        if (!candidateLinear && currentLinear)
        {
            return 256 + candidate - current <= SequenceWindow;
        }

        if (!candidateLinear)
        {
            // Circular region: serial-number arithmetic over 7 bits (RFC 1982).
            int forward = (candidate - current) & 0x7F;
            return forward is > 0 and < 64;
        }

        // Straight region: too far apart to compare means "resynchronise", i.e. accept.
        return Math.Abs(candidate - current) > SequenceWindow || candidate > current;
    }
}
