using System.Globalization;
using System.Text;
using ActiveGate.Outbox;

namespace ActiveGate.Outbox.Tests;

/// <summary>
/// Entry point used only when a test starts this assembly as a child process (<c>dotnet exec … &lt;mode&gt;</c>).
/// Under the test runner Main is never called.
/// </summary>
public static class ChildProcessEntry
{
    public static int Main(string[] args)
    {
        if (args.Length >= 2 && args[0] == "outbox-append-child")
        {
            return OutboxAppendChild(args[1]);
        }

        Console.Error.WriteLine("test assembly: unknown child mode");
        return 2;
    }

    /// <summary>Appends readings as fast as possible from 16 writers, printing "ack &lt;seq&gt; &lt;payload&gt;" after each durable append, until killed.</summary>
    private static int OutboxAppendChild(string directory)
    {
        using var outbox = DurableOutbox.Open(new OutboxOptions { Directory = directory, SegmentBytes = 64 * 1024 });
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        var gate = new Lock();
        int next = 0;
        Task[] writers = [.. Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                int i = Interlocked.Increment(ref next);
                string payload = "payload-" + i.ToString(CultureInfo.InvariantCulture) + new string('x', i % 200);
                long seq = await outbox.AppendAsync(Encoding.UTF8.GetBytes(payload));
                lock (gate)
                {
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ack {seq} {payload}"));
                }
            }
        }))];
        Task.WaitAll(writers);
        return 0;
    }
}
