"""Physical constants (CODATA 2018 exact values where defined). Not parameters."""

F = 96485.33212  # Faraday constant [C mol-1]
R = 8.314462618  # molar gas constant [J mol-1 K-1]
EPS0 = 8.8541878128e-12  # vacuum permittivity [F m-1]
KB = 1.380649e-23  # Boltzmann constant [J K-1]
E_CHARGE = 1.602176634e-19  # elementary charge [C]
N_A = 6.02214076e23  # Avogadro constant [mol-1]
T_ZERO_C = 273.15  # 0 degC in kelvin

__all__ = ["F", "R", "EPS0", "KB", "E_CHARGE", "N_A", "T_ZERO_C"]
