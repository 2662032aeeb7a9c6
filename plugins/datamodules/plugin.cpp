// The datamodules shipped with Volt.
#include "fashion_mnist.hpp"
#include "synthetic.hpp"

VOLT_PLUGINS(volt::plugins::FashionMnistDataModule, volt::plugins::SyntheticDataModule)
