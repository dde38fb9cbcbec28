namespace ActiveGate.Radio.Tests.Support;

internal static class TestFrames
{
    /// <summary>Reference frame: unicast data, ACK request, PAN 0xABCD compressed, long/long addresses, 6LoWPAN payload.</summary>
    public static byte[] Unicast { get; } = Convert.FromHexString("61DC2ACDABA1B20D06004B120004030201004B12007E33F0");

    /// <summary>Broadcast data frame: short destination 0xFFFF, long source.</summary>
    public static byte[] Broadcast { get; } = Convert.FromHexString("41D801CDABFFFF04030201004B1200" + "7A3B3A1A9B");

    public static async Task<T> WithTimeout<T>(Task<T> task, int seconds = 5) => await task.WaitAsync(TimeSpan.FromSeconds(seconds));

    public static async Task WithTimeout(Task task, int seconds = 5) => await task.WaitAsync(TimeSpan.FromSeconds(seconds));

    public static async Task WaitUntilAsync(Func<bool> condition, int seconds = 5)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("condition not reached");
            }

            await Task.Delay(10);
        }
    }
}
