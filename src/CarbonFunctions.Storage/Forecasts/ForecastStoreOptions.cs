namespace CarbonFunctions.Storage.Forecasts;

/// <summary>Forecast table settings (<c>Carbon:Forecasts:Store</c>).</summary>
public sealed class ForecastStoreOptions
{
    public const string SectionName = "Carbon:Forecasts:Store";

    public string TableName { get; set; } = "forecasts";

    /// <summary>Widest [from, to) a query may span; each day is one partition read.</summary>
    public TimeSpan MaxQueryRange { get; set; } = TimeSpan.FromDays(31);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();

        // Azure table names: 3-63 alphanumerics, starting with a letter.
        if (string.IsNullOrEmpty(TableName) || TableName.Length is < 3 or > 63 || !char.IsAsciiLetter(TableName[0]) || !TableName.All(char.IsAsciiLetterOrDigit))
        {
            problems.Add($"{SectionName}:TableName must be 3-63 letters or digits starting with a letter, was '{TableName}'.");
        }

        if (MaxQueryRange <= TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:MaxQueryRange must be positive.");
        }

        return problems;
    }
}
