namespace ActiveGate.Lwm2m.Model;

/// <summary>LwM2M data types (Core TS appendix C). <see cref="None"/> is the type of executable resources.</summary>
public enum ResourceType
{
    None = 0,
    String,
    Integer,
    UnsignedInteger,
    Float,
    Boolean,
    Opaque,
    Time,
    ObjectLink,
    CoreLink,
}

/// <summary>What a server may do with a resource, from the DDF <c>Operations</c> element.</summary>
[Flags]
public enum ResourceOperations
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
    ReadWrite = Read | Write,
}

/// <summary>An Objlnk value: <c>objectId:instanceId</c> (65535:65535 is the null link).</summary>
public readonly record struct ObjectLink(ushort ObjectId, ushort InstanceId)
{
    public static ObjectLink Null => new(ushort.MaxValue, ushort.MaxValue);

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ObjectId}:{InstanceId}");

    public static bool TryParse(ReadOnlySpan<char> text, out ObjectLink link)
    {
        link = default;
        int colon = text.IndexOf(':');
        if (colon < 0
            || !ushort.TryParse(text[..colon], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var o)
            || !ushort.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i))
        {
            return false;
        }

        link = new ObjectLink(o, i);
        return true;
    }
}
