namespace CarbonFunctions.Repo.Tests;

/// <summary>Compiles the Bicep and parses the Terraform once for every test that reads them.</summary>
[CollectionDefinition(Name)]
public sealed class InfraFixtures : ICollectionFixture<BicepTemplate>, ICollectionFixture<TerraformConfig>
{
    public const string Name = "infra";
}
