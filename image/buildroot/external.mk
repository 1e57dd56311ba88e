include $(sort $(wildcard $(BR2_EXTERNAL_KALIVE_PATH)/package/*/*.mk))
