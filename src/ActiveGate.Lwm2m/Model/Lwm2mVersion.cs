namespace ActiveGate.Lwm2m.Model;

/// <summary>The LwM2M enabler version the client registers with, and the object versions that follow from it.</summary>
public static class Lwm2mVersion
{
    /// <summary>Sent as <c>lwm2m=</c> in Register and Bootstrap-Discover.</summary>
    public const string Enabler = "1.1";

    /// <summary>
    /// The <c>ver=</c> to announce for an object. Security (0), Server (1) and Access Control (2) are
    /// versioned with the enabler (their 1.2 versions belong to LwM2M 1.2), so a 1.1 registration
    /// announces at most 1.1 for them even when the embedded DDF is newer; other objects are
    /// versioned on their own and keep the DDF's version.
    /// </summary>
    public static string Announced(ObjectDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return definition.Id is 0 or 1 or 2 && Version.TryParse(definition.ObjectVersion, out var v) && v > Version.Parse(Enabler)
            ? Enabler
            : definition.ObjectVersion;
    }
}
